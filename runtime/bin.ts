// Entry point of the mydocker-runtime program.
import fs = require('node:fs');
import { main } from './cli/main';
import { messageOf } from './errors';
import { exitProcess } from '../native/exit';

main(process.argv.slice(2)).then(
  (code) => exitProcess(code),
  (err) => {
    fs.writeSync(2, `${messageOf(err)}\n`);
    exitProcess(1);
  },
);
