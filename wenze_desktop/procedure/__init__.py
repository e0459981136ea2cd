"""The workflow engine: steps and transitions from the profile, guards as code, deadlines, after-effects."""
