/** The only thing a failed login or code says, whatever the cause (Authelia's wording). */
export const authenticationFailed = 'Authentication failed. Check your credentials.';
export const notAuthenticated = 'You are not signed in.';
