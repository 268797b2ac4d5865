"""Identity provider plugins shipped with Madoguchi."""
