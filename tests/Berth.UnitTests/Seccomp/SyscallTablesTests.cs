using Berth.Runtime.Seccomp;
using static Berth.Runtime.Seccomp.SeccompAbi;

namespace Berth.UnitTests.Seccomp;

public sealed class SyscallTablesTests
{
    [Theory]
    [InlineData("read", 0)]
    [InlineData("open", 2)]
    [InlineData("rt_sigaction", 13)]
    [InlineData("execve", 59)]
    [InlineData("_sysctl", 156)]
    [InlineData("openat", 257)]
    [InlineData("newfstatat", 262)]
    [InlineData("clone3", 435)]
    [InlineData("set_mempolicy_home_node", 450)]
    public void X86_64Numbers(string name, int nr) => Assert.Equal(nr, SyscallTables.X86_64.Numbers[name]);

    [Theory]
    [InlineData("restart_syscall", 0)]
    [InlineData("read", 3)]
    [InlineData("socketcall", 102)]
    [InlineData("ipc", 117)]
    [InlineData("_llseek", 140)]
    [InlineData("_newselect", 142)]
    [InlineData("mmap2", 192)]
    [InlineData("fcntl64", 221)]
    [InlineData("fstatat64", 300)]
    [InlineData("socket", 359)]
    [InlineData("clock_gettime64", 403)]
    public void X86Numbers(string name, int nr) => Assert.Equal(nr, SyscallTables.X86.Numbers[name]);

    [Theory]
    [InlineData("read", 0)]
    [InlineData("openat", 257)]
    [InlineData("rt_sigaction", 512)]
    [InlineData("ioctl", 514)]
    [InlineData("execve", 520)]
    [InlineData("preadv2", 546)]
    public void X32NumbersCarryTheX32Bit(string name, int nr) => Assert.Equal(__X32_SYSCALL_BIT | nr, SyscallTables.X32.Numbers[name]);

    [Theory]
    [InlineData("io_setup", 0)]
    [InlineData("fcntl", 25)]
    [InlineData("renameat", 38)]
    [InlineData("statfs", 43)]
    [InlineData("ftruncate", 46)]
    [InlineData("openat", 56)]
    [InlineData("lseek", 62)]
    [InlineData("read", 63)]
    [InlineData("sendfile", 71)]
    [InlineData("newfstatat", 79)]
    [InlineData("fstat", 80)]
    [InlineData("sync_file_range", 84)]
    [InlineData("getrlimit", 163)]
    [InlineData("mmap", 222)]
    [InlineData("fadvise64", 223)]
    [InlineData("clone3", 435)]
    [InlineData("memfd_secret", 447)]
    public void Aarch64Numbers(string name, int nr) => Assert.Equal(nr, SyscallTables.Aarch64.Numbers[name]);

    [Theory]
    [InlineData("open")]
    [InlineData("stat")]
    [InlineData("fork")]
    [InlineData("fcntl64")]
    [InlineData("llseek")]
    [InlineData("clock_gettime64")]
    [InlineData("syscalls")]
    [InlineData("arch_specific_syscall")]
    public void Aarch64HasNoLegacyOr32BitNames(string name) => Assert.False(SyscallTables.Aarch64.TryGetNumber(name, out _));

    [Fact]
    public void OnlyX32NumbersCarryTheX32Bit()
    {
        Assert.All(SyscallTables.X32.Numbers.Values, nr => Assert.NotEqual(0, nr & __X32_SYSCALL_BIT));
        foreach (var table in new[] { SyscallTables.X86_64, SyscallTables.X86, SyscallTables.Aarch64 })
        {
            Assert.All(table.Numbers.Values, nr => Assert.InRange(nr, 0, 1023));
        }
    }

    [Fact]
    public void NumbersAreUniqueWithinATable()
    {
        foreach (var table in new[] { SyscallTables.X86_64, SyscallTables.X86, SyscallTables.X32, SyscallTables.Aarch64 })
        {
            Assert.Equal(table.Numbers.Count, table.Numbers.Values.Distinct().Count());
        }
    }

    [Fact]
    public void ArchitectureNames()
    {
        Assert.Same(SyscallTables.X86_64, SyscallTables.Find("SCMP_ARCH_X86_64"));
        Assert.Same(SyscallTables.X86, SyscallTables.Find("SCMP_ARCH_X86"));
        Assert.Same(SyscallTables.X32, SyscallTables.Find("SCMP_ARCH_X32"));
        Assert.Same(SyscallTables.Aarch64, SyscallTables.Find("SCMP_ARCH_AARCH64"));
        Assert.Null(SyscallTables.Find("SCMP_ARCH_ARM"));
        Assert.True(SyscallTables.IsKnownArchitecture("SCMP_ARCH_PPC64LE"));
        Assert.False(SyscallTables.IsKnownArchitecture("scmp_arch_x86_64"));
        Assert.Equal((AUDIT_ARCH_X86_64, true), (SyscallTables.X86_64.AuditArch, SyscallTables.X86_64.HasWideArguments));
        Assert.Equal((AUDIT_ARCH_I386, false), (SyscallTables.X86.AuditArch, SyscallTables.X86.HasWideArguments));
        Assert.Equal((AUDIT_ARCH_AARCH64, true), (SyscallTables.Aarch64.AuditArch, SyscallTables.Aarch64.HasWideArguments));
    }
}
