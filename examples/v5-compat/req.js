//req.js : request client 
// (seed 004 in zeromq.js's v5 callback style, its bugs fixed: it sends on `req`, its socket, not an
// undefined `socket`, and calls request(); zeromq-napi/v5-compat stands in for zeromq)

    var zmq       = require('zeromq-napi/v5-compat')
    , requester = zmq.socket('req');

    const REPLY_SERVER_ENDPOINT = 'tcp://127.0.0.1:5560'
    
    async function request() { 
        const req = zmq.socket('req')
        req.connect(REPLY_SERVER_ENDPOINT)

        await(req.send('Hello'))
        //usual way of expecting a message from a socket
        try { 
            req.on('message', (res) => {
                console.log(res)
            })
        }catch(e) { 
            console.trace(e)
        }

    }

    request()
