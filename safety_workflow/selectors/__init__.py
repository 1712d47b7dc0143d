"""Every read that has rules: what a user may see, queues, trends."""
