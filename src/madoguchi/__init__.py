"""Madoguchi (窓口): one-stop service platform for Japanese municipalities."""
