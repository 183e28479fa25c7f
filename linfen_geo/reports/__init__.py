"""Writing results: the atomic, no-clobber writers, the greening report files and the main-job pipeline."""
