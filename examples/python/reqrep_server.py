# Seed 001's reqrep_server.py (from the "Learning 0MQ with pyzmq" guide the seed includes it
# from), ported to Python 3: print() and send_string(). Added: an optional host argument, so
# tests can bind to loopback only (default: all interfaces, as in the seed).
#
#   python3 examples/python/reqrep_server.py [port] [host]
import zmq
import time
import sys

port = "5556"
if len(sys.argv) > 1:
    port =  sys.argv[1]
    int(port)
host = "*"
if len(sys.argv) > 2:
    host = sys.argv[2]

context = zmq.Context()
socket = context.socket(zmq.REP)
socket.bind("tcp://%s:%s" % (host, port))

while True:
    #  Wait for next request from client
    message = socket.recv()
    print("Received request: ", message)
    time.sleep (1)
    socket.send_string("World from %s" % port)
