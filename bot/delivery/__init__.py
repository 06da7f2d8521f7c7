"""Getting a notice to people: the outbox rows a use case writes in its transaction (`outbox`),
the relay that claims and delivers them (`relay`), the operators' e-mail when a channel stays
blocked (`outage`), and where a platform's conversation with someone or the channel is
(`references`). One layer of the import graph: these modules import each other and what sits
below them (core, messages, sanitize, wording, storage), never a use case."""
