"""Qt pieces every mode shares: background tasks, paged table models, badges, the error log."""
