#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
'use strict';
require('../dist/cli/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
