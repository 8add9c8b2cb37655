using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using OsvPS.Core.Models;

namespace OsvPS.Core.Elf
{
    /// <summary>
    /// One behaviour of OSv's kernel (v0.57.0-398) unlike Linux's, and what in a program's files shows it meets it.
    /// It matches when every condition given holds: one of <see cref="Calls"/> is imported (or one of
    /// <see cref="GoFunctions"/> is in the Go function table: both are calls), every one of <see cref="Requires"/>
    /// is imported by the program itself, one of <see cref="RequiresGo"/> is in the Go function table, one of
    /// <see cref="Texts"/> and every one of <see cref="RequiresTexts"/> are in the program file.
    /// </summary>
    internal sealed class KernelRule
    {
        public KernelRule(string name, OsvFindingEffect effect, string reason, string source)
        {
            Name = name;
            Effect = effect;
            Reason = reason;
            Source = source;
        }

        public string Name { get; }
        public OsvFindingEffect Effect { get; }
        public string Reason { get; }
        public string Source { get; }
        public string[] Calls { get; set; } = new string[0];
        public string[] GoFunctions { get; set; } = new string[0];
        public string[] Requires { get; set; } = new string[0];
        public string[] RequiresGo { get; set; } = new string[0];
        public string[] Texts { get; set; } = new string[0];
        public string[] RequiresTexts { get; set; } = new string[0];
    }

    /// <summary>
    /// The rules Test-OsvBinary applies for what OSv's kernel does at run time, whichever linker loads the program
    /// (on Linux's linker glibc's calls become system calls, which the same kernel serves). A rule is CannotRun only
    /// where what the program does with the answer is known (seen on the kernel); the others are MayFail.
    /// </summary>
    internal static class OsvKernelRules
    {
        /// <summary>bbolt's function that maps a database and advises random access (bolt_unix.go), under both of its module paths.</summary>
        private static readonly string[] BoltMmap = { "go.etcd.io/bbolt.mmap", "github.com/boltdb/bolt.mmap" };

        public static readonly IReadOnlyList<KernelRule> All = new[]
        {
            new KernelRule("RootRefusal", OsvFindingEffect.CannotRun,
                "it refuses to run as root, and every program is root on OSv: geteuid() always returns 0, as getuid() does (on Linux's linker the system calls 107 and 102 answer 0 too); " +
                "it prints its refusal and exits at start (seen with postgres 15: '\"root\" execution of the PostgreSQL server is not permitted.')",
                "libc/libc.cc:155-158, libc/user.cc:25-38")
            {
                Requires = new[] { "geteuid" },
                Texts = new[] { "\"root\" execution of the PostgreSQL server is not permitted", "cannot be run as root" },
            },
            new KernelRule("DropsRoot", OsvFindingEffect.CannotRun,
                "it gives up root at start because geteuid() is 0 on OSv (squid's leave_suid): on OSv's linker it then calls cap_get_proc, whose capget the kernel does not define, and stops " +
                "('libcap.so.2: failed looking up symbol capget'); on Linux's linker setgid, setgroups and setresuid are system calls OSv does not serve (106, 116, 117: ENOSYS), " +
                "it retries and aborts (both seen with squid 5.7)",
                "libc/libc.cc:155-158, linux.cc:752-768")
            {
                Requires = new[] { "geteuid", "cap_get_proc" },
                Texts = new[] { "leave_suid" },
            },
            new KernelRule("MtuDiscovery", OsvFindingEffect.CannotRun,
                "it gives up each UDP socket on which setsockopt(IP_MTU_DISCOVER) fails with anything but EINVAL, and OSv refuses that option with ENOPROTOOPT: " +
                "it opens no port and stops (seen with unbound 1.17, both ways: 'IP_MTU_DISCOVER, IP_PMTUDISC_OMIT...) failed: Protocol not available', 'could not open ports')",
                "bsd/sys/compat/linux/linux_socket.cc:292-316, 1252-1253")
            {
                Calls = new[] { "setsockopt" },
                // unbound's own message, and the daemon's fatal one (unbound-checkconf and unbound-control carry only the first).
                RequiresTexts = new[] { "IP_MTU_DISCOVER, IP_PMTUDISC_OMIT...) failed", "could not open ports" },
            },
            new KernelRule("EtcdBackend", OsvFindingEffect.CannotRun,
                "it is etcd: its backend opens its bbolt database at start, and bbolt maps the file and calls madvise(MADV_RANDOM) on it; OSv accepts only MADV_DONTNEED, " +
                "MADV_HUGEPAGE and MADV_NOHUGEPAGE and answers EINVAL, so the open fails and etcd stops (seen with etcd 3.4: 'cannot open database at ... (madvise: invalid argument)')",
                "libc/mman.cc:80-90, 254-258; core/mmu.cc:1320-1338")
            {
                GoFunctions = BoltMmap,
                RequiresGo = new[] { "go.etcd.io/etcd/mvcc/backend.newBackend", "go.etcd.io/etcd/server/v3/mvcc/backend.newBackend", "go.etcd.io/etcd/server/v3/storage/backend.newBackend" },
            },
            new KernelRule("ProcessCalls", OsvFindingEffect.MayFail,
                "OSv runs one program in one address space, so starting another process fails: fork() and vfork() return -1 (printing 'fork() stubbed', errno unchanged) on OSv's linker " +
                "and fail with ENOSYS on Linux's (clone without CLONE_THREAD; seen both ways), execve fails with ENOEXEC, system, popen and daemon return failure, and clone, posix_spawn, " +
                "execvpe, execlp and fexecve are not in the kernel (on OSv's linker the call stops the program)",
                "runtime.cc:213-225, linux.cc:502-512, libc/process/execve.cc:5-9, libc/libc.cc:289, runtime.cc:503")
            {
                Calls = new[] { "fork", "vfork", "_Fork", "clone", "execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "fexecve", "posix_spawn", "posix_spawnp", "system", "popen", "daemon" },
                GoFunctions = new[] { "syscall.forkExec", "os.StartProcess" },
            },
            new KernelRule("SetIds", OsvFindingEffect.MayFail,
                "on OSv's linker setuid, setgid, seteuid, setegid, setfsuid and setfsgid stop the VM with an assertion when given an id other than 0 (getpwnam and getgrnam give 0 for every name, " +
                "so a user named in a configuration passes), setres*id and setre*id fail with EPERM, initgroups fails and setgroups does nothing; on Linux's linker, and from Go, " +
                "these are system calls OSv does not serve (105, 106, 113-123: ENOSYS)",
                "libc/user.cc:98-184, 241-244; runtime.cc:650-654; linux.cc:752-768")
            {
                Calls = new[] { "setuid", "setgid", "seteuid", "setegid", "setfsuid", "setfsgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "initgroups" },
                GoFunctions = new[] { "syscall.Setuid", "syscall.Setgid", "syscall.Setgroups", "syscall.Setreuid", "syscall.Setregid", "syscall.Setresuid", "syscall.Setresgid" },
            },
            new KernelRule("Capabilities", OsvFindingEffect.MayFail,
                "capget and capset are not in OSv's kernel: on OSv's linker the first call stops the program ('failed looking up symbol capget'); on Linux's linker " +
                "the system calls 125 and 126 fail with ENOSYS",
                "linux.cc:752-768")
            {
                Calls = new[] { "capget", "capset", "cap_get_proc", "cap_set_proc" },
            },
            new KernelRule("MadviseAdvice", OsvFindingEffect.MayFail,
                "madvise() accepts only MADV_DONTNEED, MADV_HUGEPAGE and MADV_NOHUGEPAGE on OSv and fails with EINVAL for any other advice (MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_FREE...); " +
                "posix_madvise accepts only POSIX_MADV_DONTNEED",
                "libc/mman.cc:80-90, 254-258, 400-412; core/mmu.cc:1320-1338")
            {
                Calls = new[] { "madvise", "posix_madvise" },
                GoFunctions = new[] { "syscall.Madvise", "golang.org/x/sys/unix.Madvise" },
            },
            new KernelRule("BoltMadvise", OsvFindingEffect.MayFail,
                "it links bbolt (BoltDB), which maps a database and calls madvise(MADV_RANDOM) on it when it opens one; OSv answers EINVAL, so opening a bbolt database fails " +
                "('madvise: invalid argument'); whether the program needs one is not known before boot",
                "libc/mman.cc:80-90, 254-258; core/mmu.cc:1320-1338")
            {
                GoFunctions = BoltMmap,
            },
            new KernelRule("SocketOptions", OsvFindingEffect.MayFail,
                "it names socket options OSv does not map: setsockopt fails with ENOPROTOOPT and getsockopt with EINVAL for them (IPPROTO_IP maps only IP_TOS, IP_TTL, IP_HDRINCL, " +
                "IP_OPTIONS and the multicast options; IPPROTO_TCP only TCP_NODELAY, TCP_CORK, TCP_KEEP* and TCP_CONGESTION; the IPv6 level none, and socket(AF_INET6) fails with " +
                "EAFNOSUPPORT: this kernel has no IPv6); SO_PEERCRED stops the VM with an assertion",
                "bsd/sys/compat/linux/linux_socket.cc:292-363, 1209-1289; bsd/sys/kern/uipc_socket.cc:300-302")
            {
                Calls = new[] { "setsockopt", "getsockopt" },
                Texts = new[]
                {
                    "IP_MTU_DISCOVER", "IP_PKTINFO", "IP_RECVERR", "IP_FREEBIND", "IP_TRANSPARENT", "IP_RECVTTL", "IP_RECVTOS", "IP_BIND_ADDRESS_NO_PORT", "IP_RECVORIGDSTADDR",
                    "IPV6_V6ONLY", "IPV6_RECVPKTINFO", "IPV6_MTU_DISCOVER", "SO_BINDTODEVICE", "SO_PRIORITY", "SO_PASSCRED", "SO_PEERCRED", "SO_SNDBUFFORCE", "SO_RCVBUFFORCE",
                    "SO_MARK", "TCP_DEFER_ACCEPT", "TCP_FASTOPEN", "TCP_MAXSEG", "TCP_QUICKACK", "TCP_USER_TIMEOUT", "TCP_NOTSENT_LOWAT",
                },
            },
        };

        /// <summary>Every text any rule looks for in a program file.</summary>
        private static readonly string[] AllTexts = All.SelectMany(r => r.Texts.Concat(r.RequiresTexts)).Distinct(StringComparer.Ordinal).ToArray();

        /// <summary>The section holding a Go program's function table (its names survive strip).</summary>
        public const string GoFunctionTable = ".gopclntab";

        /// <summary>
        /// The rules <paramref name="program"/> meets. <paramref name="objects"/> are the program (first) and the
        /// libraries it carries; a static executable has only itself.
        /// </summary>
        public static IReadOnlyList<OsvKernelFinding> Check(string program, IReadOnlyList<(string Path, DynamicSymbols Symbols)> objects, out bool isGo)
        {
            var imports = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var item in objects)
            {
                foreach (string name in item.Symbols.Needed)
                {
                    if (!imports.TryGetValue(name, out var by))
                    {
                        imports[name] = by = new List<string>();
                    }
                    if (!by.Contains(item.Path))
                    {
                        by.Add(item.Path);
                    }
                }
            }
            var texts = ElfContents.Find(program, AllTexts);
            var table = ElfContents.Section(program, GoFunctionTable);
            isGo = table != null;
            // A function's name in the table stands between NULs.
            var goFunctions = table == null ? new HashSet<string>()
                : ElfContents.Find(program, All.SelectMany(r => r.GoFunctions.Concat(r.RequiresGo)).Distinct().Select(f => "\0" + f + "\0").ToList(), table.Value.Offset, table.Value.Size);
            var findings = new List<OsvKernelFinding>();
            foreach (var rule in All)
            {
                var evidence = new List<string>();
                var calls = rule.Calls.Where(imports.ContainsKey).Select(c => $"{c} ({string.Join(", ", imports[c].Select(Path.GetFileName))})")
                    .Concat(rule.GoFunctions.Where(f => goFunctions.Contains("\0" + f + "\0")).Select(f => $"Go function {f}")).ToList();
                if ((rule.Calls.Length > 0 || rule.GoFunctions.Length > 0) && calls.Count == 0)
                {
                    continue;
                }
                evidence.AddRange(calls);
                var programImports = objects.Count > 0 ? objects[0].Symbols.Needed : (IReadOnlyList<string>)new string[0];
                if (!rule.Requires.All(r => programImports.Contains(r)))
                {
                    continue;
                }
                evidence.AddRange(rule.Requires.Select(r => $"{r} ({Path.GetFileName(program)})"));
                var goNamed = rule.RequiresGo.Where(f => goFunctions.Contains("\0" + f + "\0")).ToList();
                if (rule.RequiresGo.Length > 0 && goNamed.Count == 0)
                {
                    continue;
                }
                evidence.AddRange(goNamed.Select(f => $"Go function {f}"));
                var named = rule.Texts.Where(texts.Contains).ToList();
                if (rule.Texts.Length > 0 && named.Count == 0)
                {
                    continue;
                }
                if (!rule.RequiresTexts.All(texts.Contains))
                {
                    continue;
                }
                evidence.AddRange(named.Concat(rule.RequiresTexts).Select(t => $"text '{t}'"));
                findings.Add(new OsvKernelFinding(rule.Name, rule.Effect, rule.Reason, evidence.Distinct(), rule.Source));
            }
            return findings;
        }

        /// <summary>
        /// <paramref name="verdict"/> with the findings that stop the program: CannotRun with their reasons where it
        /// would start (its missing symbols and libraries kept); a way that already fails keeps its own reason.
        /// </summary>
        public static OsvWayVerdict Apply(OsvWayVerdict verdict, IReadOnlyList<OsvKernelFinding> findings)
        {
            var fatal = findings.Where(f => f.Effect == OsvFindingEffect.CannotRun).ToList();
            if (fatal.Count == 0 || verdict.Verdict == OsvRunVerdict.FailsAtLoad || verdict.Verdict == OsvRunVerdict.CannotRun)
            {
                return verdict;
            }
            return new OsvWayVerdict(OsvRunVerdict.CannotRun, string.Join("; ", fatal.Select(f => f.Reason)), verdict.Missing, verdict.Libraries);
        }
    }
}
