"""A stand-in host app for the tests: its custom user model proves nothing assumes auth.User."""
