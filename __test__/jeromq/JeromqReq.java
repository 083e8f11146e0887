// A JeroMQ 0.3.x (ZMTP 2.0) REQ client for __test__/jeromq.test.ts: connects to args[0] (with
// identity args[1] when given), sends three requests ("hello"; "a", "", "c"; a 100000-byte frame
// of i % 251 then "tail") and prints each reply as "REPLY " + its frames in base64, comma-separated.
// Exit status 2 when a reply does not come within 10 s.
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.zeromq.ZMQ;

public class JeromqReq {
    public static void main(String[] args) {
        byte[] big = new byte[100000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i % 251);
        }
        byte[][][] requests = {
            {"hello".getBytes()},
            {"a".getBytes(), new byte[0], "c".getBytes()},
            {big, "tail".getBytes()},
        };
        ZMQ.Context context = ZMQ.context(1);
        ZMQ.Socket req = context.socket(ZMQ.REQ);
        req.setLinger(0);
        req.setReceiveTimeOut(10000);
        if (args.length > 1) {
            req.setIdentity(args[1].getBytes());
        }
        req.connect(args[0]);
        int status = 0;
        for (byte[][] request : requests) {
            for (int i = 0; i < request.length; i++) {
                req.send(request[i], i + 1 < request.length ? ZMQ.SNDMORE : 0);
            }
            List<String> reply = new ArrayList<>();
            byte[] frame = req.recv();
            if (frame == null) {
                status = 2;
                break;
            }
            reply.add(Base64.getEncoder().encodeToString(frame));
            while (req.hasReceiveMore()) {
                reply.add(Base64.getEncoder().encodeToString(req.recv()));
            }
            System.out.println("REPLY " + String.join(",", reply));
            System.out.flush();
        }
        req.close();
        context.term();
        System.exit(status);
    }
}
