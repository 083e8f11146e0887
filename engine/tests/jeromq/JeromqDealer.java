// A JeroMQ 0.3.x (ZMTP 2.0) DEALER for engine/tests/jeromq.rs: connects to args[0] with identity
// args[1], sends "hello", then "a", "", "c", then a 100000-byte frame of i % 251 and "tail", and
// prints each reply as "REPLY " + its frames in hex, comma-separated. Exit status 2 when a
// reply does not come within 10 s.
import java.util.ArrayList;
import java.util.List;
import org.zeromq.ZMQ;

public class JeromqDealer {
    public static void main(String[] args) {
        byte[] big = new byte[100000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i % 251);
        }
        byte[][][] messages = {
            {"hello".getBytes()},
            {"a".getBytes(), new byte[0], "c".getBytes()},
            {big, "tail".getBytes()},
        };
        ZMQ.Context context = ZMQ.context(1);
        ZMQ.Socket dealer = context.socket(ZMQ.DEALER);
        dealer.setLinger(0);
        dealer.setReceiveTimeOut(10000);
        dealer.setIdentity(args[1].getBytes());
        dealer.connect(args[0]);
        int status = 0;
        for (byte[][] message : messages) {
            for (int i = 0; i < message.length; i++) {
                dealer.send(message[i], i + 1 < message.length ? ZMQ.SNDMORE : 0);
            }
            byte[] frame = dealer.recv();
            if (frame == null) {
                status = 2;
                break;
            }
            List<String> reply = new ArrayList<>();
            reply.add(hex(frame));
            while (dealer.hasReceiveMore()) {
                reply.add(hex(dealer.recv()));
            }
            System.out.println("REPLY " + String.join(",", reply));
            System.out.flush();
        }
        dealer.close();
        context.term();
        System.exit(status);
    }

    static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            out.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return out.toString();
    }
}
