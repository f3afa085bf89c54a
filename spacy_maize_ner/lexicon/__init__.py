"""Gene lexicons (from literature/gene tables or training mentions) and the dictionary baseline."""
