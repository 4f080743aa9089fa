/** The benchmark's ratios over several rounds: each ratio's median, rounds lacking it left out. */
import { medianRatios } from '../../scripts/bench/report';

describe('medianRatios', () => {
  it('takes the median of each ratio, the mean of the middle two for an even count', () => {
    const median = medianRatios([
      { viewportCpuPerFrameVsFanout: 1.6, pacedCpuPerFrameVsFanout: 1.3 },
      { viewportCpuPerFrameVsFanout: 1.2, pacedCpuPerFrameVsFanout: 1.1 },
      { viewportCpuPerFrameVsFanout: 1.4 },
    ]);
    expect(median.viewportCpuPerFrameVsFanout).toBe(1.4);
    expect(median.pacedCpuPerFrameVsFanout).toBeCloseTo(1.2, 10);
    expect(median.cpuPerFrameVsFloor).toBeUndefined();
  });

  it('is the ratios themselves for one round', () => {
    expect(medianRatios([{ pacedFramesVsFanout: 0.56 }])).toEqual({ pacedFramesVsFanout: 0.56 });
  });
});
