'use strict';
// `zeromq-napi/majordomo`: the Majordomo Protocol 0.2 (RFC 18) with MMI service discovery
// (RFC 8) on this package's Router and Dealer: a broker, workers and clients (API.md, "Majordomo").

const { Broker } = require('./majordomo-broker.js');
const { Worker } = require('./majordomo-worker.js');
const { Client } = require('./majordomo-client.js');

module.exports = { Broker, Worker, Client };
