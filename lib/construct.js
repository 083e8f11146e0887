'use strict';
// zeromq.js's constructors are native classes: called without `new` they throw "Class
// constructors cannot be invoked without 'new'", a text its users' code and tests compare.
// V8 names the class in its own text, so the exported constructors are this thin wrapper around
// the class: the same prototype (`instanceof`, `extends` and `new` go straight through), only a
// call without `new` answers with zeromq.js's text.

const CALLED_WITHOUT_NEW = "Class constructors cannot be invoked without 'new'";

// Through the global object: a script's top-level `const { Proxy } = require('zeromq-napi')`
// (`node -e`, a REPL) declares a global `Proxy` binding that hides the built-in from every module
// until the require returns.
const JsProxy = globalThis.Proxy;

/**
 * @template {new (...args: any[]) => object} C
 * @param {C} cls
 * @param {(args: unknown[]) => unknown[]} [toArgs]  what the class gets from `new`'s arguments
 * @returns {C}
 */
function requireNew(cls, toArgs) {
  return new JsProxy(cls, {
    apply() {
      throw new TypeError(CALLED_WITHOUT_NEW);
    },
    construct(target, args, newTarget) {
      return Reflect.construct(target, toArgs === undefined ? args : toArgs(args), newTarget);
    },
  });
}

module.exports = { requireNew, CALLED_WITHOUT_NEW };
