"""Matching: which entities an item mentions or is by, which stories and follow-ups it serves."""
