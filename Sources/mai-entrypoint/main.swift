import MaiCommandLine
import MaiSystem

// The start-up, in order: (1) block every signal, here, before anything else runs, so that a TERM from now on
// waits in the inbox instead of being dropped (the kernel drops a default-disposition signal sent to PID 1) or
// killing a half-started program; then (2) parse the options, (3) load the environment, (4) prepare what the
// server finds (its user, DATA_DIR, the secret key), (5) initialize the usage-tracking database and (6) supervise
// the command: see `runPipeline` in MaiCommandLine/Start/RunPipeline.swift.
//
// The one thing before (1): a child that runs as another user (--user) starts as this binary, which applies
// the credentials and execs the command (MaiSystem/CredentialSwitch.swift); it is never the program itself, and
// blocking signals there would only have to be undone.
let arguments = commandLineArguments()
CredentialSwitch.runIfRequested(arguments)
let inbox: SignalInbox
do {
    inbox = try SignalInbox()
} catch {
    EntryPoint.fail("cannot block signals: \(error)", status: 1)
}
EntryPoint.main(StartContext(arguments: arguments, environment: .current(), inbox: inbox))
