# Seed 002's multiply_client.py. The only fix: at the end of the input (Ctrl-D, or a closed
# pipe) input() raises EOFError, which the seed let crash with a traceback; it now ends the loop.
#
#   python3 examples/python/multiply_client.py [port] [host]
import sys
import zmq

def main(port, host):
    context = zmq.Context()
    socket = context.socket(zmq.REQ)
    socket.connect(f"tcp://{host}:{port}")
    print(f"Connecting to port '{port}' of host '{host}'.")
    count=0
    while True:
        try:
            line = input("give a number to multiply: ")
        except EOFError:
            break
        socket.send_string(line)      # send number
        line = socket.recv_string()   # receive number
        print(line)

if __name__ == "__main__":
    port = 2345
    host = "127.0.0.1"
    if len(sys.argv)>1:
        port = int(sys.argv[1])
    if len(sys.argv)>2:
        host = sys.argv[2]
    main(port, host)
