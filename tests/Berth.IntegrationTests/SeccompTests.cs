using System.Net.Sockets;
using System.Text.Json;
using Berth.IntegrationTests.Harness;
using Berth.Oci;

namespace Berth.IntegrationTests;

[Collection("runtime")]
public sealed class SeccompTests
{
    [Fact]
    public void ASyscallRuleReturnsItsErrnoAndTheRestIsAllowed()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "mkdir /tmp/x 2>&1; echo rc=$?; ls / > /dev/null && echo ls-ok; grep Seccomp: /proc/self/status");
        b.Spec.Linux!.Seccomp = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            Syscalls = [new LinuxSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 1 }],
        };
        var o = s.Run(b).Ok().Stdout;
        Assert.Contains("Operation not permitted", o);
        Assert.Contains("rc=1", o);
        Assert.Contains("ls-ok", o);
        Assert.Contains("Seccomp:\t2", o);
    }

    [Fact]
    public void ArgumentConditionsSelectTheCall()
    {
        using var s = new RuntimeSession();
        // personality(0xffffffff) queries; deny only personality(PER_LINUX32 = 8).
        using var b = new Bundle("sh", "-c", "setarch linux32 true 2>&1; echo rc=$?; uname -m");
        b.Spec.Linux!.Seccomp = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new LinuxSyscall
            {
                Names = ["personality"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 13,
                Args = [new LinuxSeccompArg { Index = 0, Value = 8, Op = "SCMP_CMP_EQ" }],
            }],
        };
        var o = s.Run(b).Ok().Stdout;
        Assert.Contains("rc=1", o);
        Assert.Contains("x86_64", o);
    }

    [Fact]
    public void KillProcessActionKillsWithSigsys()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "exec uname -a");
        b.Spec.Linux!.Seccomp = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new LinuxSyscall { Names = ["uname"], Action = "SCMP_ACT_KILL_PROCESS" }],
        };
        Assert.Equal(128 + 31, s.Run(b).ExitCode);
    }

    [Fact]
    public void AnUnknownActionIsAConfigError()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("true");
        b.Spec.Linux!.Seccomp = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new LinuxSyscall { Names = ["uname"], Action = "SCMP_ACT_EXPLODE" }],
        };
        var r = s.Run(b);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("SCMP_ACT_EXPLODE", r.Stderr);
        Assert.Empty(s.Runtime("list", "-q").Ok().Stdout.Trim());
    }

    [Fact]
    public async Task NotifyActionHandsTheListenerFdToListenerPath()
    {
        using var s = new RuntimeSession();
        using var b = new Bundle("sh", "-c", "mkdir /tmp/notified 2>&1; echo rc=$?");
        string sockPath = Path.Combine(s.Root, "seccomp.sock");
        b.Spec.Root!.Readonly = false;
        b.Spec.Linux!.Seccomp = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            ListenerPath = sockPath,
            ListenerMetadata = "agent=test",
            Syscalls = [new LinuxSyscall { Names = ["mkdir", "mkdirat"], Action = "SCMP_ACT_NOTIFY" }],
        };
        b.Write();
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(sockPath));
        listener.Listen(1);
        var accept = listener.AcceptAsync();
        string id = s.NewId();
        var create = Task.Run(() => s.Runtime("create", "--bundle", b.Dir, id));
        using var conn = await accept;
        int notifyFd = Berth.Linux.Libc.ReceiveFd((int)conn.Handle, out string json);
        var state = JsonDocument.Parse(json).RootElement;
        Assert.Equal("seccompFd", state.GetProperty("fds")[0].GetString());
        Assert.Equal("agent=test", state.GetProperty("metadata").GetString());
        Assert.Equal(id, state.GetProperty("state").GetProperty("id").GetString());
        Assert.Equal("anon_inode:seccomp notify", new FileInfo($"/proc/self/fd/{notifyFd}").LinkTarget);
        (await create).Ok();
        Assert.Equal(state.GetProperty("pid").GetInt32(), s.Pid(id));
        // With no supervisor left (the fd closed), a notifying call fails with ENOSYS.
        Berth.Linux.Libc.close(notifyFd);
        s.Runtime("start", id).Ok();
        LifecycleTests.WaitFor(() => s.Status(id) == "stopped");
        Assert.False(Directory.Exists(Path.Combine(b.Rootfs, "tmp", "notified")));
    }
}
