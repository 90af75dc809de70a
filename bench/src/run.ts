// Placeholder entry: the ingest benchmark is added in the next commit.
console.error('usage: pnpm bench <name>');
process.exit(2);
