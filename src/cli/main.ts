#!/usr/bin/env node
console.log("daedalus")
