"""Development support, not shipped in the wheel: the sample ledger generator, the
local-backend supervisor and the demo."""
