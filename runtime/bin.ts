// Entry point of the mydocker-runtime program.
import fs = require('node:fs');
import { main } from './cli/main';
import { messageOf } from './errors';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    fs.writeSync(2, `${messageOf(err)}\n`);
    process.exit(1);
  },
);
