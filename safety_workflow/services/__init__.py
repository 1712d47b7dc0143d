"""Every write: keyword-only, typed functions named ``<thing>_<action>``, each in one transaction."""
