// A JeroMQ 0.3.x (ZMTP 2.0) ROUTER for engine/tests/jeromq.rs: binds an ephemeral loopback port,
// prints "PORT <n>", and answers each message [id, frames...] with [id, "jeromq", frames...],
// printing "FROM " + the id in hex first. Exits after a message whose first frame is "STOP";
// exit status 2 when no message comes within 15 s.
import java.util.ArrayList;
import java.util.List;
import org.zeromq.ZMQ;

public class JeromqRouter {
    public static void main(String[] args) {
        ZMQ.Context context = ZMQ.context(1);
        ZMQ.Socket router = context.socket(ZMQ.ROUTER);
        router.setLinger(1000);
        router.setReceiveTimeOut(15000);
        int port = router.bindToRandomPort("tcp://127.0.0.1");
        System.out.println("PORT " + port);
        System.out.flush();
        int status = 0;
        for (;;) {
            byte[] id = router.recv();
            if (id == null) {
                status = 2;
                break;
            }
            List<byte[]> frames = new ArrayList<>();
            while (router.hasReceiveMore()) {
                frames.add(router.recv());
            }
            System.out.println("FROM " + hex(id));
            System.out.flush();
            router.sendMore(id);
            router.send("jeromq", frames.isEmpty() ? 0 : ZMQ.SNDMORE);
            for (int i = 0; i < frames.size(); i++) {
                router.send(frames.get(i), i + 1 < frames.size() ? ZMQ.SNDMORE : 0);
            }
            if (!frames.isEmpty() && new String(frames.get(0)).equals("STOP")) {
                break;
            }
        }
        router.close();
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
