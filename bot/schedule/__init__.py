"""Time: the company's business days (`calendar`), its deadlines and every clock's setting
(`deadlines`), the states and notices the rules read and write (`dues`), the rules of what is
due when (`reminders`), and how far back a sweep must read for them (`horizons`). Pure, and one
layer of the import graph: these modules import each other and bot.wording, bot.messages and
storage, never a use case; `bot.sweep` gathers their inputs and writes what they say is due."""
