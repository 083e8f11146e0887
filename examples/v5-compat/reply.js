// Hello World reply server in Node.js
// Binds REP socket to tcp://*:5560
// Expects "Hello" from client, replies with "World"

//reply.js
// (seed 004 in zeromq.js's v5 callback style, its bugs fixed: the server binds instead of
// connecting, and replies on `rep`, its socket, not an undefined `responder`; zeromq-napi/v5-compat
// stands in for zeromq)

var zmq = require('zeromq-napi/v5-compat')
  , rep = zmq.socket('rep');

rep.bind('tcp://127.0.0.1:5560');
rep.on('message', function(msg) {
  console.log('received request:', msg.toString());
  setTimeout(function() {
    rep.send("World");
  }, 1000);
});
