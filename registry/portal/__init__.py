"""The firm portal (/portal): firms keep their own profile and annual data current; the
bureau reviews identity changes, annual data and team-member changes (see views, review)."""
