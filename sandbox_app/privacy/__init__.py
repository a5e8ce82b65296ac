"""Risk metrics, the rule catalogue and scoring of shares."""
