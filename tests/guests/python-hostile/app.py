"""A Python script that misbehaves on purpose, as its ``mode`` call variable says, so
tests/languages.rs can prove the sandbox stops Python guests with the same limits as Rust
ones: ``loop`` spins forever on the first event, ``memory`` allocates without bound. With
``mode`` = ``polite`` it greets, listens, and says goodbye when the customer answers."""

from huashu_sdk import Dialogue, export


class Hostile(Dialogue):
    def on_call_started(self, call, out):
        mode = call.var_or("mode", "polite")
        if mode == "loop":
            while True:
                pass
        if mode == "memory":
            hoard = []
            while True:
                hoard.append(bytearray(4 << 20))
        out.say("您好，这里是测试。请问您现在方便吗？", barge_in=True)
        out.listen(no_input_ms=5000)

    def on_final_transcript(self, transcript, out):
        out.say("好的，再见。").hang_up("completed")


Script = export(Hostile)
