"""Social passports: the family, its members, contacts, consent and curator."""
