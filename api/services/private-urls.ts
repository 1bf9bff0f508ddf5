/** Save-time checks of the URLs the platform will call on a group's behalf. */
import { privateAddressOf } from '../../shared/node/net/private-addresses';
import { validationError } from '../http/errors';

/**
 * A 400 naming `field` when the URL's host is, or resolves to, a loopback, private or
 * link-local address; `allowedBy` tells who can allow it. Whatever connects checks again, as
 * DNS answers change: this only says so early.
 */
export async function refusePrivateUrl(
  subject: string,
  field: string,
  url: string,
  allowedBy: string,
): Promise<void> {
  const blocked = await privateAddressOf(url);
  if (blocked === undefined) return;
  throw validationError(subject, [
    {
      path: field,
      message: `${new URL(url).hostname} is the private or loopback address ${blocked}, which ${subject}s may not reach unless ${allowedBy}`,
    },
  ]);
}
