# Seed 000's 'Hello, World' server, made runnable: the snippet, its imports, and an optional
# port and host (defaults: 5555 on all interfaces, as in the seed).
#
#   python3 examples/python/hello_server.py [port] [host]
import sys
import time

import zmq

port = 5555
host = '*'
if len(sys.argv) > 1:
    port = int(sys.argv[1])
if len(sys.argv) > 2:
    host = sys.argv[2]

context = zmq.Context()
socket = context.socket(zmq.REP)
socket.bind(f'tcp://{host}:{port}')
print(f'Server listening on tcp:{port} ...')
while True:
    #  Wait for next request from client
    message = socket.recv()
    print(f'Received request: {message.decode("utf-8")}')
    time.sleep (1)
    #socket.send_string('World')
    socket.send(bytes('World', 'utf-8'))
