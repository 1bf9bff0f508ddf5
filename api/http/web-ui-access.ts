/**
 * Which browser pages may call the codec for the Temporal Web UI: the UI's own origin (CORS),
 * and, on the embedded setup (`KASAL_CODEC_LOCAL_OPERATOR`), the UI open in this machine's own
 * browser without a token, since the UI has no way to send one to a plain-HTTP codec.
 */
import { isLoopbackAddress } from '../../shared/node/net/private-addresses';

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

export interface WebUiAccessOptions {
  /** TEMPORAL_UI_URL: where the Web UI is served. */
  uiUrl: string;
  /** Let the Web UI in this machine's browser call the codec without credentials. */
  localOperator: boolean;
}

export class WebUiAccess {
  /** The UI's origin; for a UI on loopback also its other loopback names (localhost, 127.0.0.1, [::1]). */
  readonly origins: ReadonlySet<string>;
  private readonly localOperator: boolean;

  constructor(options: WebUiAccessOptions) {
    const ui = new URL(options.uiUrl);
    const hosts = LOOPBACK_HOSTS.includes(ui.hostname) ? LOOPBACK_HOSTS : [ui.hostname];
    this.origins = new Set(
      hosts.map((host) => {
        const alias = new URL(ui);
        alias.hostname = host;
        return alias.origin;
      }),
    );
    this.localOperator = options.localOperator;
  }

  isUiOrigin(origin: string | undefined): origin is string {
    return origin !== undefined && this.origins.has(origin);
  }

  /**
   * True for a request from this machine (`ip`: the caller as Express sees it, through trusted
   * loopback proxies) that a page of the Web UI sent. A browser sets `Origin` itself, so another
   * web page open in the same browser cannot pass for the UI; a remote caller fails the address.
   */
  isLocalOperator(ip: string | undefined, origin: string | undefined): boolean {
    return (
      this.localOperator && ip !== undefined && isLoopbackAddress(ip) && this.isUiOrigin(origin)
    );
  }
}
