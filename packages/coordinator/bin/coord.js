#!/usr/bin/env node
import "../bundle/cli.js";
