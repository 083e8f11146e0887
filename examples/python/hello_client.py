# Seed 000's 'Hello, World' client, made runnable: the snippet, its import, and an optional
# port and host (defaults: localhost:5555, as in the seed).
#
#   python3 examples/python/hello_client.py [port] [host]
import sys

import zmq

port = 5555
host = 'localhost'
if len(sys.argv) > 1:
    port = int(sys.argv[1])
if len(sys.argv) > 2:
    host = sys.argv[2]

context = zmq.Context()
socket = context.socket(zmq.REQ)
socket.connect (f'tcp://{host}:{port}') # connect to the server at 5555 port
                                         # Note: same socket can connect to two different servers

# now connection is done, lets send some requests
for i in range(100):
    print('Sending request `Hello` ...')
    #socket.send_string('Hello')
    socket.send(bytes('Hello', 'utf-8'))
    # get the reply
    res = message = socket.recv() # this will block until someone responds
    print(f'Received reply : {res.decode("utf-8")}')
