// A JeroMQ 0.3.x (ZMTP 2.0) REP server for __test__/jeromq.test.ts: binds an ephemeral loopback
// port, prints "PORT <n>", answers every request with "jeromq" + the request's frames, and exits
// after answering a request whose first frame is "STOP". Exit status 2 when no request comes.
import java.util.ArrayList;
import java.util.List;
import org.zeromq.ZMQ;

public class JeromqRep {
    public static void main(String[] args) {
        ZMQ.Context context = ZMQ.context(1);
        ZMQ.Socket rep = context.socket(ZMQ.REP);
        rep.setLinger(1000);
        rep.setReceiveTimeOut(15000);
        int port = rep.bindToRandomPort("tcp://127.0.0.1");
        System.out.println("PORT " + port);
        System.out.flush();
        int status = 0;
        for (;;) {
            List<byte[]> frames = new ArrayList<>();
            byte[] first = rep.recv();
            if (first == null) {
                status = 2;
                break;
            }
            frames.add(first);
            while (rep.hasReceiveMore()) {
                frames.add(rep.recv());
            }
            rep.sendMore("jeromq");
            for (int i = 0; i < frames.size(); i++) {
                rep.send(frames.get(i), i + 1 < frames.size() ? ZMQ.SNDMORE : 0);
            }
            if (new String(first).equals("STOP")) {
                break;
            }
        }
        rep.close();
        context.term();
        System.exit(status);
    }
}
