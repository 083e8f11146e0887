// JeroMQ 0.3.x (ZMTP 2.0) peers of PUB/SUB and PUSH/PULL for __test__/jeromq.test.ts. Usage:
// `JeromqPatterns MODE ENDPOINT`; it always connects. MODE:
//   sub  - subscribes to "t.", prints "MSG <frames as hex, comma-separated>" for two messages;
//   pub  - publishes ["x.1","no"] and ["t.1","yes"] every 10 ms for 15 s;
//   pull - prints "MSG ..." for two messages;
//   push - sends ["job","from jeromq"] and ["job","two"], prints "SENT", lingers.
// Exit status 2 when nothing arrives within 15 s.
import java.util.ArrayList;
import java.util.List;
import org.zeromq.ZMQ;

public class JeromqPatterns {
    static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) {
            out.append(String.format("%02x", b));
        }
        return out.toString();
    }

    static boolean printTwo(ZMQ.Socket socket) {
        for (int n = 0; n < 2; n++) {
            List<String> frames = new ArrayList<>();
            byte[] first = socket.recv();
            if (first == null) {
                return false;
            }
            frames.add(hex(first));
            while (socket.hasReceiveMore()) {
                frames.add(hex(socket.recv()));
            }
            System.out.println("MSG " + String.join(",", frames));
            System.out.flush();
        }
        return true;
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String endpoint = args[1];
        ZMQ.Context context = ZMQ.context(1);
        int type = mode.equals("sub") ? ZMQ.SUB
                : mode.equals("pub") ? ZMQ.PUB
                : mode.equals("pull") ? ZMQ.PULL
                : ZMQ.PUSH;
        ZMQ.Socket socket = context.socket(type);
        socket.setLinger(1000);
        socket.setReceiveTimeOut(15000);
        if (mode.equals("sub")) {
            socket.subscribe("t.".getBytes());
        }
        socket.connect(endpoint);
        int status = 0;
        if (mode.equals("sub") || mode.equals("pull")) {
            status = printTwo(socket) ? 0 : 2;
        } else if (mode.equals("pub")) {
            long end = System.currentTimeMillis() + 15000;
            while (System.currentTimeMillis() < end) {
                socket.sendMore("x.1");
                socket.send("no");
                socket.sendMore("t.1");
                socket.send("yes");
                Thread.sleep(10);
            }
        } else {
            socket.sendMore("job");
            socket.send("from jeromq");
            socket.sendMore("job");
            socket.send("two");
            System.out.println("SENT");
            System.out.flush();
            Thread.sleep(2000);
        }
        socket.close();
        context.term();
        System.exit(status);
    }
}
