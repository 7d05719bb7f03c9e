
bad ids