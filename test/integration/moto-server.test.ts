import { httpStatus, MotoServer } from '../../lib/local/moto-server';

describe('MotoServer', () => {
  const moto = new MotoServer();
  afterAll(() => moto.stop());

  test('starts on 127.0.0.1, answers, resets and stops', async () => {
    // WHEN
    await moto.start();
    // THEN
    expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await moto.reset();
    expect(await httpStatus(`${moto.endpoint}/moto-api/data.json`)).toBe(200);
    await moto.stop();
    await expect(httpStatus(`${moto.endpoint}/moto-api/data.json`)).rejects.toThrow(/ECONNREFUSED/);
  });
});
