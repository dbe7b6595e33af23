/** The passphrase every test CA is encrypted with (a module of its own: store-worker.ts imports nothing else of the fixtures). */
export const PASSPHRASE = "test passphrase, long enough";
