import { WebUiAccess } from '../../api/http/web-ui-access';

describe('WebUiAccess', () => {
  const local = new WebUiAccess({ uiUrl: 'http://localhost:8233', localOperator: true });

  it("knows a loopback UI by each of this machine's names, on its port only", () => {
    expect([...local.origins].sort()).toEqual([
      'http://127.0.0.1:8233',
      'http://[::1]:8233',
      'http://localhost:8233',
    ]);
    expect(local.isUiOrigin('http://localhost:8000')).toBe(false);
    expect(local.isUiOrigin('https://localhost:8233')).toBe(false);
    expect(local.isUiOrigin(undefined)).toBe(false);
    const remote = new WebUiAccess({ uiUrl: 'https://ui.example.com/', localOperator: true });
    expect([...remote.origins]).toEqual(['https://ui.example.com']);
  });

  it('lets in the UI from loopback only, only when the operator mode is on', () => {
    for (const ip of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect(local.isLocalOperator(ip, 'http://localhost:8233')).toBe(true);
    }
    for (const ip of ['10.0.0.5', '192.168.1.20', '203.0.113.7', '::ffff:10.0.0.5', undefined]) {
      expect(local.isLocalOperator(ip, 'http://localhost:8233')).toBe(false);
    }
    expect(local.isLocalOperator('127.0.0.1', 'http://attacker.example')).toBe(false);
    expect(local.isLocalOperator('127.0.0.1', undefined)).toBe(false);
    const off = new WebUiAccess({ uiUrl: 'http://localhost:8233', localOperator: false });
    expect(off.isLocalOperator('127.0.0.1', 'http://localhost:8233')).toBe(false);
  });
});
