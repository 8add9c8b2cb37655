using System.Collections.Generic;
using System.Threading;
using OsvPS.Core.Instances;
using Xunit;

namespace OsvPS.Core.Tests.Instances
{
    /// <summary>
    /// A stopped OSv kernel told from the virtual CPUs' state, as QEMU 7.2's monitor prints it (<c>info registers -a</c>):
    /// the lines below are from real guests (an idle CPU in HLT with interrupts on, a CPU spinning with them off).
    /// </summary>
    public sealed class KernelStopTests
    {
        private const string Idle = "RIP=000000004037e8bb RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1";
        private const string Spinning = "RIP=00001000000012b3 RFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0";
        private const string Halted = "RIP=0000100000001242 RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1";

        private static string Cpus(params string[] registers)
        {
            var text = new System.Text.StringBuilder();
            for (int i = 0; i < registers.Length; i++)
            {
                text.Append("CPU#").Append(i).Append('\n').Append("RAX=0000000000000000 RBX=0000000000000001\n").Append(registers[i]).Append('\n')
                    .Append("ES =0000 0000000000000000 ffffffff 00c09300 DPL=0 DS   [-WA]\n");
            }
            return text.ToString();
        }

        [Fact]
        public void TheMonitorsTextGivesEachCpusInterruptFlagAndHalt()
        {
            var cpus = VirtualCpu.Parse(Cpus(Idle, Spinning, Halted));
            Assert.Equal(3, cpus.Count);
            Assert.Equal((0, true, true), (cpus[0].Index, cpus[0].InterruptsOn, cpus[0].Halted));
            Assert.Equal((1, false, false), (cpus[1].Index, cpus[1].InterruptsOn, cpus[1].Halted));
            Assert.Equal((2, false, true), (cpus[2].Index, cpus[2].InterruptsOn, cpus[2].Halted));
            Assert.Empty(VirtualCpu.Parse("RFL=00000002 HLT=0\n"));
            Assert.Empty(VirtualCpu.Parse("CPU#0\nXRFL=00000002 HLT=0\n"));
        }

        [Fact]
        public void ACpuWithInterruptsOffInEverySampleIsAStoppedKernel()
        {
            int asked = 0;
            string? why = KernelStop.Check(() => { asked++; return Cpus(Idle, Spinning); }, CancellationToken.None);
            Assert.NotNull(why);
            Assert.Contains("virtual CPU 1 kept its interrupts off for 3 s (in a busy loop)", why);
            Assert.True(asked >= 6, $"sampled {asked} times");
            Assert.Contains("(halted)", KernelStop.Check(() => Cpus(Halted, Idle), CancellationToken.None));
        }

        [Fact]
        public void AllInterruptsOnIsOneLookAndARunningKernel()
        {
            int asked = 0;
            Assert.Null(KernelStop.Check(() => { asked++; return Cpus(Idle, Idle); }, CancellationToken.None));
            Assert.Equal(1, asked);
        }

        // A kernel in a short section with interrupts off, one CPU after the other: never the same CPU throughout.
        [Fact]
        public void InterruptsOffForAMomentOrOnAnotherCpuIsNoStop()
        {
            var samples = new Queue<string>(new[] { Cpus(Spinning, Idle), Cpus(Spinning, Idle), Cpus(Idle, Spinning), Cpus(Spinning, Spinning) });
            Assert.Null(KernelStop.Check(() => samples.Count > 0 ? samples.Dequeue() : Cpus(Spinning, Spinning), CancellationToken.None));
            Assert.Single(samples); // it gave up at the third sample, the first without CPU 0 off
        }

        [Fact]
        public void AGuestThatStopsRunningMeanwhileIsLeftToItsEnd()
        {
            int asked = 0;
            Assert.Null(KernelStop.Check(() => ++asked < 3 ? Cpus(Spinning) : null, CancellationToken.None));
        }
    }
}
