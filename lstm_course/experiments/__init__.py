"""The computations behind each book chapter's claims: one module per chapter.

A chapter's notebook calls these functions and glues their numbers into its prose; the
tests in ``tests/book/test_claims_<chapter>.py`` call the same functions with the same
seeds and assert the claims, so the prose cannot drift from what the code shows.
"""
