# Seed 001's reqrep_client.py (from the "Learning 0MQ with pyzmq" guide the seed includes it
# from), ported to Python 3: print() and send_string()/recv_string().
#
#   python3 examples/python/reqrep_client.py [port1] [port2]
import zmq
import sys

port = "5556"
if len(sys.argv) > 1:
    port =  sys.argv[1]
    int(port)

if len(sys.argv) > 2:
    port1 =  sys.argv[2]
    int(port1)

context = zmq.Context()
print("Connecting to hello world server...")
socket = context.socket(zmq.REQ)
socket.connect ("tcp://localhost:%s" % port)
if len(sys.argv) > 2:
    socket.connect ("tcp://localhost:%s" % port1)

#  Do 10 requests, waiting each time for a response
for request in range (1,10):
    print("Sending request ", request,"...")
    socket.send_string("Hello")
    #  Get the reply.
    message = socket.recv_string()
    print("Received reply ", request, "[", message, "]")
