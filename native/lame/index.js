"use strict";
module.exports = require("./build/Release/lame_native.node");
