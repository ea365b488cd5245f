"""Optional paid AI: LLM narration and scene content, AI video clips. Offline never needs it.

Every paid call goes through a :class:`~pipeline.ai.base.Governor` (implemented by the studio's
budget ledger): it is estimated, reserved, approved where required, and settled afterwards.
"""
