"""Profiles: personal feeds; ``library`` imports a user's reference-manager export."""
